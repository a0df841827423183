import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Share of the search pool's index capacity that must stay free; below it the pool alarm fires. */
export const POOL_FREE_SHARE = 0.1;

export interface StageAlarmsProps {
  /** Alarm names start with it; it carries the stage. */
  readonly namePrefix: string;
  /** Metric namespace of the stage (the functions' POWERTOOLS_METRICS_NAMESPACE). */
  readonly namespace: string;
  readonly topic: sns.ITopic;
  readonly api: apigw.RestApi;
  readonly functions: Record<string, lambda.IFunction>;
  /** The log group of the function that creates project indexes (it logs `pool_free`). */
  readonly poolLog: logs.ILogGroup;
  /** Project indexes the pool holds when every collection is at its cap. */
  readonly poolCapacity: number;
}

/**
 * The stage's operational alarms, beside the dead-letter alarm of the ingest queue: function
 * errors and throttles, the API's 5xx answers, and the search pool running out of room for new
 * projects. Every alarm notifies the stage's topic.
 */
export class StageAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: StageAlarmsProps) {
    super(scope, id);
    const notify = new actions.SnsAction(props.topic);
    const add = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, alarmProps);
      alarm.addAlarmAction(notify);
      this.alarms.push(alarm);
      return alarm;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };

    for (const [name, fn] of Object.entries(props.functions)) {
      add(`${name}Errors`, {
        alarmName: `${props.namePrefix}-${name}-errors`,
        alarmDescription: `The ${name} function failed invocations (uncaught errors, timeouts, out of memory): read its log group.`,
        metric: fn.metricErrors(fiveMinutes),
        threshold: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      add(`${name}Throttles`, {
        alarmName: `${props.namePrefix}-${name}-throttles`,
        alarmDescription: `Lambda throttled the ${name} function: the account's concurrency is used up; raise it or find the flood.`,
        metric: fn.metricThrottles(fiveMinutes),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    add('Api5xx', {
      alarmName: `${props.namePrefix}-api-5xx`,
      alarmDescription: 'The API answered 5xx: a function failed or timed out behind the gateway.',
      metric: props.api.metricServerError(fiveMinutes),
      threshold: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // the control function logs `pool_free` each time it creates a project index
    const poolFree = new logs.MetricFilter(this, 'PoolFreeFilter', {
      logGroup: props.poolLog,
      filterPattern: logs.FilterPattern.exists('$.pool_free'),
      metricNamespace: props.namespace,
      metricName: 'IndexPoolFree',
      metricValue: '$.pool_free',
    });
    add('PoolCapacity', {
      alarmName: `${props.namePrefix}-index-pool-capacity`,
      alarmDescription: `Fewer than ${Math.round(POOL_FREE_SHARE * 100)}% of the search pool's project indexes are free: raise collectionPoolSize and deploy before new projects get 409.`,
      metric: poolFree.metric({ period: Duration.hours(1), statistic: cloudwatch.Stats.MINIMUM }),
      threshold: Math.floor(props.poolCapacity * POOL_FREE_SHARE),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // no project created in the hour: the last reading stands
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
  }
}
