// The Verify button: asks the server to check the credential and lists each check's result.
(function () {
  var section = document.getElementById('verify');
  var button = document.getElementById('verify-button');
  var out = document.getElementById('verify-result');
  if (!section || !button || !out) return;
  var query = new URLSearchParams(window.location.search);
  // The source tag counts the verification; the launch token lets a learner verify a private award.
  var params = new URLSearchParams();
  if (query.get('src')) params.set('src', query.get('src'));
  if (query.get('ltik')) params.set('ltik', query.get('ltik'));
  var qs = params.toString();
  button.addEventListener('click', function () {
    button.disabled = true;
    out.textContent = 'Verifying…';
    fetch(section.dataset.url + (qs ? '?' + qs : ''), { method: 'POST', headers: { accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (result) {
        out.textContent = '';
        var head = document.createElement('p');
        head.className = result.verified ? 'verify-ok' : 'verify-bad';
        head.textContent = result.verified ? '✔ Verified: this badge is authentic and valid.' : '✘ Not verified.';
        out.appendChild(head);
        var list = document.createElement('ul');
        list.className = 'checks';
        var proofs = result.proofs || {};
        Object.keys(proofs).forEach(function (name) {
          (proofs[name].checks || []).forEach(function (c) {
            var li = document.createElement('li');
            li.className = c.ok ? 'ok' : 'bad';
            li.textContent = (c.ok ? '✔ ' : '✘ ') + name + ' · ' + c.check + ': ' + c.message;
            list.appendChild(li);
          });
        });
        out.appendChild(list);
      })
      .catch(function () { out.textContent = 'Verification could not run. Try again.'; })
      .finally(function () { button.disabled = false; });
  });
})();
