// Canvas developer-key JSON configuration (Canvas "LTI Key" → "Enter URL").
import { LTI_SCOPE } from './constants.js';

export function canvasConfiguration(publicUrl: string) {
  const url = (p: string) => `${publicUrl}${p}`;
  return {
    title: 'Badgetrail',
    description: 'Open Badges 3.0 for course completions, with claim and sharing analytics.',
    oidc_initiation_url: url('/lti/login'),
    target_link_uri: url('/lti/launch'),
    public_jwk_url: url('/lti/keys'),
    scopes: [LTI_SCOPE.LINEITEM, LTI_SCOPE.LINEITEM_READONLY, LTI_SCOPE.SCORE, LTI_SCOPE.RESULT_READONLY, LTI_SCOPE.NRPS],
    extensions: [
      {
        domain: new URL(publicUrl).host,
        platform: 'canvas.instructure.com',
        privacy_level: 'public',
        settings: {
          text: 'Badgetrail',
          icon_url: url('/static/img/logo.svg'),
          placements: [
            { placement: 'course_navigation', message_type: 'LtiResourceLinkRequest', target_link_uri: url('/lti/launch'), text: 'Badges' },
            { placement: 'account_navigation', message_type: 'LtiResourceLinkRequest', target_link_uri: url('/lti/launch'), text: 'Badge analytics' },
            { placement: 'link_selection', message_type: 'LtiDeepLinkingRequest', target_link_uri: url('/lti/launch'), text: 'Badgetrail link' },
            { placement: 'assignment_selection', message_type: 'LtiDeepLinkingRequest', target_link_uri: url('/lti/launch'), text: 'Badgetrail completion' },
          ],
        },
      },
    ],
    custom_fields: { canvas_course_id: '$Canvas.course.id', canvas_user_id: '$Canvas.user.id' },
  };
}
