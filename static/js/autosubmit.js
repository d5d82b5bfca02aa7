// Deep linking: post the signed response back to the platform at once.
document.getElementById('autosubmit')?.submit();
