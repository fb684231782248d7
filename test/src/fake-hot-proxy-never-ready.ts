// The fake proxy as a NEW that takes the handles but never reports ready (an upgrade to a broken version).
process.env['FAKE_PROXY_MODE'] = 'never-ready';
await import('./fake-hot-proxy.js');
