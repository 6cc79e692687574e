import { ORG_ROLES } from '@sessionpix/contracts';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords';

export const emailField = z
  .email('must be an e-mail address')
  .max(254, 'at most 254 characters')
  .describe('An e-mail address (compared case-insensitively).');
const newPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `at most ${PASSWORD_MAX_LENGTH} characters`);
/** A password being checked: any length we would have accepted, without telling which. */
const presentedPassword = z.string().min(1, 'must not be empty').max(PASSWORD_MAX_LENGTH, `at most ${PASSWORD_MAX_LENGTH} characters`);
const personName = z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters');
const token = z.string().min(1, 'must not be empty').max(200, 'at most 200 characters');
const session = z
  .enum(['cookie', 'bearer'])
  .default('cookie')
  .describe(
    '`cookie` (web): the session is set in HttpOnly, Secure, SameSite=Strict cookies and no token is returned. ' +
      '`bearer` (API clients): the access and refresh tokens are returned in the body.',
  );

export const signUpSchema = z.strictObject({
  email: emailField,
  password: newPassword,
  name: personName.describe('Your name.'),
  orgName: personName.describe('Your first organization (studio, band, company).'),
});

export const acceptedSchema = z.object({
  status: z.literal('accepted'),
  detail: z.string(),
});

export const tokenSchema = z.strictObject({ token });

export const signInSchema = z.strictObject({ email: emailField, password: presentedPassword, session });

/** The web sends no body here (its cookies carry the session), so an absent body is an empty one. */
export const refreshSchema = z
  .strictObject({
    refreshToken: token.optional().describe('For bearer sessions; the web sends its refresh cookie instead.'),
  })
  .default({});

export const signOutSchema = z
  .strictObject({
    refreshToken: token.optional().describe('For bearer sessions; the web’s cookies name the session.'),
  })
  .default({});

export const passwordResetRequestSchema = z.strictObject({ email: emailField });
export const passwordResetConfirmSchema = z.strictObject({ token, newPassword });
export const changePasswordSchema = z.strictObject({ currentPassword: presentedPassword, newPassword });

export const updateMeSchema = z
  .strictObject({ name: personName.optional(), email: emailField.optional() })
  .refine((v) => v.name !== undefined || v.email !== undefined, { message: 'change name, email or both' });

export const membershipSummarySchema = z.object({
  orgId: z.uuid(),
  orgName: z.string(),
  role: z.enum(ORG_ROLES),
});

export const meSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  emailVerified: z.boolean(),
  identityProvider: z.enum(['builtin', 'cognito']),
  createdAt: z.iso.datetime(),
  memberships: z.array(membershipSummarySchema),
});

export const sessionSchema = z.object({
  user: meSchema,
  accessTokenExpiresAt: z.iso.datetime(),
  tokenType: z.literal('Bearer').optional(),
  accessToken: z.string().optional().describe('Bearer sessions only.'),
  refreshToken: z.string().optional().describe('Bearer sessions only; single use, rotated by /v1/auth/refresh.'),
  refreshTokenExpiresAt: z.iso.datetime().optional(),
});

export const refreshedSchema = sessionSchema.omit({ user: true });

export class SignUpDto extends createZodDto(signUpSchema) {}
export class AcceptedDto extends createZodDto(acceptedSchema) {}
export class TokenDto extends createZodDto(tokenSchema) {}
export class SignInDto extends createZodDto(signInSchema) {}
export class RefreshDto extends createZodDto(refreshSchema) {}
export class SignOutDto extends createZodDto(signOutSchema) {}
export class PasswordResetRequestDto extends createZodDto(passwordResetRequestSchema) {}
export class PasswordResetConfirmDto extends createZodDto(passwordResetConfirmSchema) {}
export class ChangePasswordDto extends createZodDto(changePasswordSchema) {}
export class UpdateMeDto extends createZodDto(updateMeSchema) {}
export class MeDto extends createZodDto(meSchema) {}
export class SessionDto extends createZodDto(sessionSchema) {}
export class RefreshedDto extends createZodDto(refreshedSchema) {}
