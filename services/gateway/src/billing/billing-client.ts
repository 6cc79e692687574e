import { HttpStatus, Injectable } from '@nestjs/common';
import {
  BILLING_RPC,
  type BillingRpcName,
  type BillingRpcRequest,
  type BillingRpcResponse,
  type RpcDefinition,
} from '@sessionpix/contracts';
import { RpcClient, RpcRemoteError, RpcTimeoutError } from '@sessionpix/queue';
import type { z } from 'zod';
import { ProblemError } from '../http/problem';

const STATUS_OF: Record<string, HttpStatus> = {
  unknown_plan: HttpStatus.BAD_REQUEST,
  invalid_request: HttpStatus.CONFLICT,
  no_customer: HttpStatus.CONFLICT,
  not_found: HttpStatus.NOT_FOUND,
  stripe_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  internal: HttpStatus.BAD_GATEWAY,
};

/**
 * The gateway's side of the billing request/response contract. The gateway holds no Stripe key:
 * it asks the billing service, and waits at most the contract's timeout.
 */
@Injectable()
export class BillingClient {
  constructor(private readonly rpc: RpcClient) {}

  async call<N extends BillingRpcName>(name: N, request: BillingRpcRequest<N>): Promise<BillingRpcResponse<N>> {
    try {
      const def = BILLING_RPC[name] as RpcDefinition<z.ZodType, z.ZodType>;
      return (await this.rpc.call('billing', def, request)) as BillingRpcResponse<N>;
    } catch (err) {
      if (err instanceof RpcTimeoutError) {
        throw new ProblemError(HttpStatus.SERVICE_UNAVAILABLE, 'billing_unavailable', 'billing is not answering right now; try again shortly', undefined, {
          'retry-after': '30',
        });
      }
      if (err instanceof RpcRemoteError) {
        throw new ProblemError(STATUS_OF[err.code] ?? HttpStatus.BAD_GATEWAY, err.code === 'invalid_request' ? 'billing_conflict' : err.code, err.message);
      }
      throw err;
    }
  }
}
