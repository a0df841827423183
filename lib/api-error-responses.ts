import * as apigw from 'aws-cdk-lib/aws-apigateway';

interface ErrorShape {
  type: apigw.ResponseType;
  /** the API.md error type */
  errorType: string;
  /** status to answer with; the gateway's own when absent */
  status?: string;
  /** a fixed message instead of the gateway's */
  message?: string;
  headers?: Record<string, string>;
}

/**
 * Errors API Gateway answers itself, before any function runs. They get API.md's error body
 * (`{error:{type, message, request_id}}`) and the status the local server would give, so a client
 * sees one contract whichever side refused the request.
 */
const SHAPES: ErrorShape[] = [
  // no resource or no method for the path: the app answers 404 for both
  {
    type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    errorType: 'not_found',
    status: '404',
    message: 'no such route',
  },
  // the request validator requires the Authorization header on every route
  {
    type: apigw.ResponseType.BAD_REQUEST_PARAMETERS,
    errorType: 'unauthorized',
    status: '401',
    message: 'a bearer key is required',
  },
  { type: apigw.ResponseType.THROTTLED, errorType: 'rate_limited', status: '429', headers: { 'Retry-After': '1' } },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, errorType: 'payload_too_large', status: '413' },
  { type: apigw.ResponseType.DEFAULT_4XX, errorType: 'invalid_request' },
  { type: apigw.ResponseType.DEFAULT_5XX, errorType: 'internal', message: 'internal error' },
];

function body(shape: ErrorShape): string {
  // gateway templates are not VTL, but $context variables are substituted;
  // messageString is already a quoted JSON string
  const message = shape.message ? JSON.stringify(shape.message) : '$context.error.messageString';
  return `{"error":{"type":"${shape.errorType}","message":${message},"request_id":"$context.requestId"}}`;
}

/** Gives every gateway-made error API.md's error body, with CORS for the dashboard when set. */
export function addContractErrorResponses(api: apigw.RestApi, dashboardOrigin?: string): void {
  for (const shape of SHAPES) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(shape.headers ?? {})) headers[name] = `'${value}'`;
    if (dashboardOrigin) {
      headers['Access-Control-Allow-Origin'] = `'${dashboardOrigin}'`;
      headers.Vary = "'Origin'";
    }
    api.addGatewayResponse(`Error${shape.type.responseType}`, {
      type: shape.type,
      statusCode: shape.status,
      responseHeaders: headers,
      templates: { 'application/json': body(shape) },
    });
  }
}
