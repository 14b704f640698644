// Google Consent Mode v2 defaults before any tag (docs/banner.md), served as
// /sites/{site}/consent-defaults.js by cookies/integration.py, which fills in the last line with the
// site's key, its current policy version and what decides each signal, and minifies it like banner.js.
// Synchronous and first in <head>, before the tag manager: denied, or granted for the categories of a
// choice still valid in the cookies (the checks of banner.js); banner.js then sends the updates.
(function (w, d, site, version, owners, wait) {
'use strict';
var dl = w.dataLayer = w.dataLayer || [], now = Date.now() / 1000, cat = {}, state = {};
if (typeof w.gtag != 'function') w.gtag = function () {
dl.push(arguments);
};
function payload(name) {
var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
try {
var b = m[1].split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
return JSON.parse(atob(b + '==='.slice((b.length + 3) % 4))) || {};
} catch (e) {
return {};
}
}
var c = payload('cookie_consent'), r = payload('r_ci');
if (c.site == site && r.site == site && c.ver == version && c.cat && r.due > now && c.until > now) cat = c.cat;
for (var s in owners) state[s] = owners[s] === true || cat[owners[s]] === true ? 'granted' : 'denied';
w.consentModeDefaults = state;
w.gtag('consent', 'default', Object.assign({wait_for_update: wait}, state));
})(window, document, __ARGUMENTS__);
