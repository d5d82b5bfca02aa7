// The module fields matter only for a completion link: hide them for the course page.
(function () {
  var fields = document.getElementById('module-fields');
  if (!fields) return;
  function sync() {
    var chosen = document.querySelector('input[name=kind]:checked');
    fields.hidden = !chosen || chosen.value !== 'module';
  }
  document.querySelectorAll('input[name=kind]').forEach(function (r) { r.addEventListener('change', sync); });
  sync();
})();
