import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { MinRole, SignedIn } from '../auth/access';
import { CurrentUser, type Principal, Tenant, type TenantContext } from '../auth/tenant';
import {
  ChangeRoleDto,
  CreateInvitationDto,
  CreateOrgDto,
  DeletionRequestedDto,
  InvitationDto,
  InvitationPageDto,
  InvitationParamDto,
  JoinDto,
  JoinedDto,
  MemberDto,
  MemberPageDto,
  MemberParamDto,
  OrgDto,
  OrgIdParamDto,
  OrgListDto,
  OrgPageQueryDto,
  RenameOrgDto,
} from './org.schemas';
import { OrgsService } from './orgs.service';

@ApiTags('orgs')
@Controller('v1/orgs')
export class OrgsController {
  constructor(private readonly orgs: OrgsService) {}

  @Get()
  @SignedIn()
  @ApiOperation({ summary: 'The organizations you belong to, with your role in each' })
  @ZodResponse({ status: 200, type: OrgListDto })
  list(@CurrentUser() user: Principal) {
    return this.orgs.listMine(user.userId);
  }

  @Post()
  @SignedIn()
  @ApiOperation({ summary: 'Create another organization (you are its owner)' })
  @ZodResponse({ status: 201, type: OrgDto })
  create(@CurrentUser() user: Principal, @Body() body: CreateOrgDto) {
    return this.orgs.create(user, body.name);
  }

  @Post('join')
  @SignedIn()
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept an invitation with the token from its link (single use, expires)' })
  @ZodResponse({ status: 200, type: JoinedDto })
  join(@CurrentUser() user: Principal, @Body() body: JoinDto) {
    return this.orgs.join(user, body.token);
  }

  @Get(':orgId')
  @MinRole('viewer', { orgFrom: 'path' })
  @ApiOperation({ summary: 'Read an organization' })
  @ZodResponse({ status: 200, type: OrgDto })
  get(@Tenant() t: TenantContext, @Param() _params: OrgIdParamDto) {
    return this.orgs.get(t);
  }

  @Patch(':orgId')
  @MinRole('admin', { orgFrom: 'path' })
  @ApiOperation({ summary: 'Rename an organization' })
  @ZodResponse({ status: 200, type: OrgDto })
  rename(@Tenant() t: TenantContext, @Param() _params: OrgIdParamDto, @Body() body: RenameOrgDto) {
    return this.orgs.rename(t, body.name);
  }

  @Delete(':orgId')
  @MinRole('owner', { orgFrom: 'path' })
  @HttpCode(202)
  @ApiOperation({ summary: 'Ask for the organization to be deleted (owners only): closed at once, purged within 30 days' })
  @ZodResponse({ status: 202, type: DeletionRequestedDto })
  requestDeletion(@Tenant() t: TenantContext, @Param() _params: OrgIdParamDto) {
    return this.orgs.requestDeletion(t);
  }

  @Get(':orgId/members')
  @MinRole('viewer', { orgFrom: 'path' })
  @ApiOperation({ summary: 'List the members and their roles' })
  @ZodResponse({ status: 200, type: MemberPageDto })
  members(@Tenant() t: TenantContext, @Param() _params: OrgIdParamDto, @Query() query: OrgPageQueryDto) {
    return this.orgs.members(t, query.limit, query.cursor);
  }

  @Patch(':orgId/members/:userId')
  @MinRole('admin', { orgFrom: 'path' })
  @ApiOperation({ summary: 'Change a member’s role (only owners grant or take away owner; the last owner stays)' })
  @ZodResponse({ status: 200, type: MemberDto })
  changeRole(@Tenant() t: TenantContext, @Param() params: MemberParamDto, @Body() body: ChangeRoleDto) {
    return this.orgs.changeRole(t, params.userId, body.role);
  }

  @Delete(':orgId/members/:userId')
  @MinRole('viewer', { orgFrom: 'path' })
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member (admins), or leave (yourself; not the last owner)' })
  @ApiNoContentResponse({ description: 'Removed.' })
  async removeMember(@Tenant() t: TenantContext, @Param() params: MemberParamDto): Promise<void> {
    await this.orgs.removeMember(t, params.userId);
  }

  @Post(':orgId/invitations')
  @MinRole('admin', { orgFrom: 'path' })
  @ApiOperation({ summary: 'Invite someone by e-mail (the link expires in 7 days)' })
  @ZodResponse({ status: 201, type: InvitationDto })
  invite(@Tenant() t: TenantContext, @Param() _params: OrgIdParamDto, @Body() body: CreateInvitationDto) {
    return this.orgs.invite(t, body.email, body.role);
  }

  @Get(':orgId/invitations')
  @MinRole('admin', { orgFrom: 'path' })
  @ApiOperation({ summary: 'List invitations, newest first' })
  @ZodResponse({ status: 200, type: InvitationPageDto })
  invitations(@Tenant() t: TenantContext, @Param() _params: OrgIdParamDto, @Query() query: OrgPageQueryDto) {
    return this.orgs.invitations(t, query.limit, query.cursor);
  }

  @Delete(':orgId/invitations/:invitationId')
  @MinRole('admin', { orgFrom: 'path' })
  @HttpCode(204)
  @ApiOperation({ summary: 'Withdraw an invitation' })
  @ApiNoContentResponse({ description: 'Withdrawn.' })
  async revokeInvitation(@Tenant() t: TenantContext, @Param() params: InvitationParamDto): Promise<void> {
    await this.orgs.revokeInvitation(t, params.invitationId);
  }
}
