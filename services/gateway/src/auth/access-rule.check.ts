import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_RULE } from './access';

/**
 * A route without an access rule would be reachable by whoever the guard lets through by
 * default; there is no such default. The process refuses to start instead, naming the routes.
 */
@Injectable()
export class AccessRuleCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const missing: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      const instance = wrapper.instance as object | undefined;
      if (!type || !instance) continue;
      const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[method] as (...args: unknown[]) => unknown;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        if (!this.reflector.getAllAndOverride(ACCESS_RULE, [handler, type])) missing.push(`${type.name}.${method}`);
      }
    }
    if (missing.length > 0) {
      throw new Error(`Refusing to start: routes without @Public(), @SignedIn() or @MinRole(): ${missing.join(', ')}`);
    }
  }
}
