// The live page's script: it applies the fragments the server pushes (Server-Sent Events,
// no polling) and sends the buttons' requests with the page's token.
(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token') || '';
  var live = document.getElementById('live');
  var conn = document.getElementById('conn');
  var status = document.getElementById('status');
  var message = document.getElementById('message');
  var updates = 0;

  function say(text, bad) {
    message.textContent = text;
    message.className = bad ? 'small badnum' : 'small';
  }

  var es = new EventSource('events');
  es.onopen = function () { conn.textContent = 'live'; };
  es.onerror = function () { conn.textContent = 'reconnecting…'; };
  es.addEventListener('update', function (e) {
    live.innerHTML = e.data;
    updates++;
    document.body.setAttribute('data-updates', String(updates));
  });
  es.addEventListener('problem', function (e) { say('the page could not be rendered: ' + e.data, true); });
  es.addEventListener('end', function (e) {
    es.close();
    status.textContent = 'ended';
    say('The run is over (' + e.data + '); loading its report…', false);
    location.reload();
  });

  function post(path, params) {
    params.set('token', token);
    return fetch(path + '?' + params.toString(), { method: 'POST', cache: 'no-store' }).then(function (r) {
      return r.text().then(function (t) {
        if (!r.ok) { throw new Error(t.trim() + ' (HTTP ' + r.status + ')'); }
        return t.trim();
      });
    });
  }

  document.getElementById('stop').addEventListener('click', function () {
    post('stop', new URLSearchParams()).then(function (t) {
      status.textContent = 'stopping';
      say(t, false);
    }, function (err) { say(err.message, true); });
  });

  var form = document.getElementById('users-form');
  if (form) {
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var n = document.getElementById('users').value;
      post('users', new URLSearchParams({ users: n })).then(function (t) { say(t, false); },
        function (err) { say(err.message, true); });
    });
  }
})();
