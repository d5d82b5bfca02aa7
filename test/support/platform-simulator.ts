// LTI 1.3 platform simulator (Moodle 4.5 / Canvas flavoured) for driving real OIDC launches against the tool
// over HTTP on 127.0.0.1. Built from the 1EdTech specs (LTI Core 1.3, Security Framework 1.0, DR 1.0,
// DL 2.0, AGS 2.0, NRPS 2.0); the implementation lives in ./platform-simulator/.
export { startPlatform } from './platform-simulator/platform.js';
export { findAuthRequest, type AuthRequest } from './platform-simulator/launch.js';
export * from './platform-simulator/types.js';
