// Import: refuse a file over the limit before uploading it (the server refuses it too), and send
// each form once, however often its button is pressed.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[type=file][data-max-bytes]")) {
    const message = input.closest(".slds-form-element").querySelector("[data-file-message]");
    const hint = message ? message.textContent : "";
    const element = input.closest(".slds-form-element");
    input.addEventListener("change", () => {
      const limit = Number(input.dataset.maxBytes);
      const file = input.files[0];
      const tooBig = file && file.size > limit;
      input.setCustomValidity(tooBig ? `The file is ${file.size.toLocaleString()} bytes; the limit is ${limit.toLocaleString()} bytes.` : "");
      element.classList.toggle("slds-has-error", Boolean(tooBig));
      if (message) message.textContent = tooBig ? input.validationMessage : hint;
    });
  }
  for (const form of document.querySelectorAll("form[data-import-form]")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
    });
  }
});
