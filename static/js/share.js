// Share buttons in "my badges": ask the server for the channel's link (which records the share),
// then open it or copy it.
(function () {
  var ltik = new URLSearchParams(window.location.search).get('ltik') || '';
  document.querySelectorAll('button.share').forEach(function (b) {
    b.addEventListener('click', function () {
      var inPage = b.dataset.channel === 'copy_link' || b.dataset.channel === 'embed';
      var target = inPage ? null : window.open('about:blank', '_blank');
      fetch('/me/awards/' + b.dataset.award + '/share', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer ' + ltik },
        body: JSON.stringify({ channel: b.dataset.channel })
      }).then(function (r) { return r.json(); }).then(function (res) {
        if (!res.url) return;
        if (target) { target.location.href = res.url; return; }
        if (navigator.clipboard) navigator.clipboard.writeText(res.url);
        b.textContent = b.dataset.channel === 'embed' ? 'Embed code copied' : 'Link copied';
      });
    });
  });
  // Downloads are shares too (channel "download"); the file itself comes from the link.
  document.querySelectorAll('a.download').forEach(function (a) {
    a.addEventListener('click', function () {
      fetch('/me/awards/' + a.dataset.award + '/share', {
        method: 'POST', keepalive: true,
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + ltik },
        body: JSON.stringify({ channel: 'download' })
      });
    });
  });
})();
