import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { priceTableFromSetting, type PriceTable } from '../cost';

/** The price table every model_call is costed with, read once at start-up (a bad one stops it). */
@Injectable()
export class VisionPricing {
  readonly table: PriceTable;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.table = priceTableFromSetting(config.VISION_PRICE_TABLE, (path) => readFileSync(path, 'utf8'));
  }
}
