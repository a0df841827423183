#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addOpragStage } from '../lib/oprag-app';

// one stage per synth: `-c stage=staging` (default) or `-c stage=production`
addOpragStage(new App());
