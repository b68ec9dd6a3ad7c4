// Preview as a rep: picking a demo opportunity previews it at once (the button is the no-JS way).
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => {
      if (select.value) select.form.submit();
    });
  }
});
