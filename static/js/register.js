// Registration screen: add member rows, keep the group list to the chosen community, and
// fill birth date and sex from a complete ID number (the server checks them again).
(function () {
  "use strict";
  const total = document.getElementById("id_m-TOTAL_FORMS");
  const container = document.getElementById("members");
  const template = document.getElementById("member-template");
  const groupsData = document.getElementById("groups-data");
  const groups = groupsData ? JSON.parse(groupsData.textContent) : [];

  function number() {
    container.querySelectorAll("[data-member]").forEach(function (el, i) {
      el.querySelector(".member-no").textContent = String(i + 1);
    });
  }

  function fillFromId(input) {
    const value = input.value.replace(/\s+/g, "").toUpperCase();
    if (!/^\d{17}[\dX]$/.test(value)) return;
    const fieldset = input.closest("[data-member]");
    const birth = fieldset.querySelector("input[name$='-birth_date']");
    const sex = fieldset.querySelector("select[name$='-sex']");
    if (birth && !birth.value) {
      birth.value = value.slice(6, 10) + "-" + value.slice(10, 12) + "-" + value.slice(12, 14);
    }
    if (sex && !sex.value) sex.value = Number(value[16]) % 2 === 1 ? "M" : "F";
  }

  container.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.endsWith("-id_number")) fillFromId(event.target);
  });

  document.getElementById("add-member").addEventListener("click", function () {
    const index = Number(total.value);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    container.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    number();
    const added = container.lastElementChild.querySelector("input[name$='-name']");
    if (added) added.focus();
  });

  const community = document.getElementById("id_community");
  const group = document.getElementById("id_group");
  function filterGroups() {
    const chosen = Number(community.value);
    Array.from(group.options).forEach(function (option) {
      if (!option.value) return;
      const known = groups.find(function (g) { return String(g.id) === option.value; });
      const show = !chosen || (known && known.community === chosen);
      option.hidden = !show;
      option.disabled = !show;
    });
    if (group.selectedOptions.length && group.selectedOptions[0].disabled) group.value = "";
  }
  if (community && group) {
    community.addEventListener("change", filterGroups);
    filterGroups();
  }
  number();
})();
