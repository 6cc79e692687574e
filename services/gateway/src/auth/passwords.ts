import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type Algorithm, hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane (P1: a salted hash, never the password). */
const ARGON2ID: Parameters<typeof hash>[1] = {
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummy = '';

  /**
   * A hash of a random password nobody knows, made once per process: an unknown e-mail is
   * verified against it, so it costs the same work as a known one.
   */
  get dummyHash(): string {
    return this.dummy;
  }

  async onModuleInit(): Promise<void> {
    this.dummy = await hash(randomBytes(32).toString('base64url'), ARGON2ID);
  }

  hash(password: string): Promise<string> {
    return hash(password, ARGON2ID);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /** The same work as a real verification; always false. */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(this.dummy, password);
    return false;
  }
}
