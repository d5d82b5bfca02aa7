// LTI Dynamic Registration: tell the platform the registration is done.
(window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, '*');
