import { ORG_ROLES } from '@sessionpix/contracts';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { emailField } from '../accounts/account.schemas';
import { pageOf, pageQuerySchema } from '../http/pagination.dto';

const orgName = z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters');
const role = z.enum(ORG_ROLES, { message: `must be one of ${ORG_ROLES.join(', ')}` });
const uuid = z.uuid('must be a UUID');

export const orgSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.enum(ORG_ROLES).describe('Your role in it.'),
  createdAt: z.iso.datetime(),
});

export const createOrgSchema = z.strictObject({ name: orgName });
export const renameOrgSchema = z.strictObject({ name: orgName });

export const deletionRequestedSchema = z.object({
  id: z.uuid(),
  deletionRequestedAt: z.iso.datetime(),
  detail: z.string(),
});

export const memberSchema = z.object({
  userId: z.uuid(),
  name: z.string(),
  email: z.string(),
  role: z.enum(ORG_ROLES),
  joinedAt: z.iso.datetime(),
});

export const changeRoleSchema = z.strictObject({ role });

export const createInvitationSchema = z.strictObject({
  email: emailField,
  role: role.default('member'),
});

export const invitationSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(ORG_ROLES),
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  expiresAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
});

export const joinSchema = z.strictObject({ token: z.string().min(1, 'must not be empty').max(200) });
export const joinedSchema = z.object({ org: z.object({ id: z.uuid(), name: z.string() }), role: z.enum(ORG_ROLES) });

export class OrgDto extends createZodDto(orgSchema) {}
export class OrgListDto extends createZodDto(z.object({ items: z.array(orgSchema) })) {}
export class CreateOrgDto extends createZodDto(createOrgSchema) {}
export class RenameOrgDto extends createZodDto(renameOrgSchema) {}
export class DeletionRequestedDto extends createZodDto(deletionRequestedSchema) {}
export class MemberPageDto extends createZodDto(pageOf(memberSchema)) {}
export class MemberDto extends createZodDto(memberSchema) {}
export class ChangeRoleDto extends createZodDto(changeRoleSchema) {}
export class CreateInvitationDto extends createZodDto(createInvitationSchema) {}
export class InvitationDto extends createZodDto(invitationSchema) {}
export class InvitationPageDto extends createZodDto(pageOf(invitationSchema)) {}
export class JoinDto extends createZodDto(joinSchema) {}
export class JoinedDto extends createZodDto(joinedSchema) {}
export class OrgPageQueryDto extends createZodDto(pageQuerySchema) {}
export class OrgIdParamDto extends createZodDto(z.strictObject({ orgId: uuid })) {}
export class MemberParamDto extends createZodDto(z.strictObject({ orgId: uuid, userId: uuid })) {}
export class InvitationParamDto extends createZodDto(z.strictObject({ orgId: uuid, invitationId: uuid })) {}
