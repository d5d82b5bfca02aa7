// LTI Client Side postMessage storage (lti.put_data): keep state and nonce in the platform's frame,
// then continue to the platform's authorisation endpoint. Without an answer we continue anyway:
// state and nonce are also bound on our server.
(function () {
  var el = document.getElementById('lti-storage');
  if (!el) return;
  var d = el.dataset;
  var target = d.target === '_parent' ? window.parent : (window.parent.frames[d.target] || window.parent);
  var pending = 0;
  var done = false;
  function go() { if (!done) { done = true; window.location.replace(d.authUrl); } }
  window.addEventListener('message', function (e) {
    if (e.origin !== d.origin || !e.data || e.data.subject !== 'lti.put_data.response') return;
    pending -= 1;
    if (pending <= 0) go();
  });
  [['state', d.state], ['nonce', d.nonce]].forEach(function (kv) {
    pending += 1;
    target.postMessage({ subject: 'lti.put_data', message_id: kv[0] + '-' + Date.now(), key: kv[0] + '_' + d.state, value: kv[1] }, d.origin);
  });
  setTimeout(go, 1500);
})();
