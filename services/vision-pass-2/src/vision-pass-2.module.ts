import { Module } from '@nestjs/common';
import { Pass2Handler } from './pass2.handler';

@Module({ providers: [Pass2Handler] })
export class VisionPass2Module {}
