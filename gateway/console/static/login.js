// Login form: posts the password as JSON; on success the server sets the session cookie.
'use strict';
document.getElementById('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const error = document.getElementById('login-error');
  error.textContent = '';
  const password = document.getElementById('password').value;
  try {
    const response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password }),
    });
    if (response.ok) {
      window.location.assign('/');
      return;
    }
    const body = await response.json().catch(() => ({}));
    error.textContent = body.error || `登录失败 / login failed (${response.status})`;
  } catch (e) {
    error.textContent = `网关无响应 / gateway not reachable: ${e.message}`;
  }
});
