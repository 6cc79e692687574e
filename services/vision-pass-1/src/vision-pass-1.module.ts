import { Module } from '@nestjs/common';
import { Pass1Handler } from './pass1.handler';

@Module({ providers: [Pass1Handler] })
export class VisionPass1Module {}
