// Deep Linking 2.0 response: the instructor's choice becomes an ltiResourceLink whose custom
// parameters tell later launches what to open. ltijs signs it with the platform's tool key.
import { BadRequestError } from '../shared/index.js';
import { CUSTOM_MODULE, CUSTOM_TARGET } from './constants.js';
import type { LtijsProvider } from './provider.js';
import type { LaunchSession, SessionService } from './sessions.js';

export type DeepLinkChoice = { kind: 'course'; title: string } | { kind: 'module'; moduleId: string; title: string };

export function createDeepLinking(deps: { provider: LtijsProvider; sessions: SessionService; publicUrl: string }) {
  return {
    async respond(session: LaunchSession, choice: DeepLinkChoice): Promise<{ returnUrl: string; jwt: string }> {
      if (session.view !== 'deep_linking' || !session.deepLinking) throw new BadRequestError('not_deep_linking', 'This session was not started by a deep linking request.');
      const item = {
        type: 'ltiResourceLink',
        title: choice.title,
        url: `${deps.publicUrl}/lti/launch`,
        custom: choice.kind === 'module' ? { [CUSTOM_TARGET]: 'module', [CUSTOM_MODULE]: choice.moduleId } : { [CUSTOM_TARGET]: 'course' },
      };
      const idtoken = await deps.sessions.ltijsIdToken(session);
      const jwt = await deps.provider.createDeepLinkingMessage(idtoken, [item], { message: `Placed: ${choice.title}` });
      return { returnUrl: session.deepLinking.deep_link_return_url, jwt };
    },
  };
}

export type DeepLinking = ReturnType<typeof createDeepLinking>;
