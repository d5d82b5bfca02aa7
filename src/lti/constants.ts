// Spec URIs, named once (LTI Core 1.3, Deep Linking 2.0, AGS 2.0, NRPS 2.0, Dynamic Registration).

const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
export const LTI_CLAIM = {
  MESSAGE_TYPE: `${LTI}message_type`,
  VERSION: `${LTI}version`,
  DEPLOYMENT_ID: `${LTI}deployment_id`,
  TARGET_LINK_URI: `${LTI}target_link_uri`,
  RESOURCE_LINK: `${LTI}resource_link`,
  ROLES: `${LTI}roles`,
  CONTEXT: `${LTI}context`,
  TOOL_PLATFORM: `${LTI}tool_platform`,
  LAUNCH_PRESENTATION: `${LTI}launch_presentation`,
  CUSTOM: `${LTI}custom`,
  LIS: `${LTI}lis`,
  DEEP_LINKING_SETTINGS: 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings',
  DL_CONTENT_ITEMS: 'https://purl.imsglobal.org/spec/lti-dl/claim/content_items',
  DL_DATA: 'https://purl.imsglobal.org/spec/lti-dl/claim/data',
  AGS_ENDPOINT: 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint',
  NRPS: 'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice',
} as const;

export const LTI_MESSAGE = {
  RESOURCE_LINK: 'LtiResourceLinkRequest',
  DEEP_LINKING: 'LtiDeepLinkingRequest',
  DEEP_LINKING_RESPONSE: 'LtiDeepLinkingResponse',
} as const;

export const LTI_ROLE = {
  TEST_USER: 'http://purl.imsglobal.org/vocab/lti/system/person#TestUser',
  SYSTEM_ADMIN: 'http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator',
  INSTITUTION_ADMIN: 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
  CONTEXT_ADMIN: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator',
  INSTRUCTOR: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  CONTENT_DEVELOPER: 'http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper',
  TEACHING_ASSISTANT: 'http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant',
  LEARNER: 'http://purl.imsglobal.org/vocab/lis/v2/membership#Learner',
} as const;

export const LTI_SCOPE = {
  LINEITEM: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  LINEITEM_READONLY: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  SCORE: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  RESULT_READONLY: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  NRPS: 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
} as const;

export const LTI_TOOL_CONFIGURATION = 'https://purl.imsglobal.org/spec/lti-tool-configuration';
export const LTI_PLATFORM_CONFIGURATION = 'https://purl.imsglobal.org/spec/lti-platform-configuration';

/** Custom parameters our deep-linked items carry, so a launch knows what it opens. */
export const CUSTOM_TARGET = 'badgetrail_target';
export const CUSTOM_MODULE = 'badgetrail_module';
