'use strict';

// What a successful call resolves with, copied out of the native object the
// C call returned (el_device, el_id_list), which is then freed: nothing
// native outlives the call.

const { C } = require('./native.cjs');

/** Deep-freezes a value parsed from JSON. */
function freeze(value) {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) freeze(v);
    Object.freeze(value);
  }
  return value;
}

/** An el_device as a frozen Device; the el_device is freed. */
function readDevice(device) {
  try {
    const count = Number(C.el_device_tag_count(device));
    const tags = [];
    for (let i = 0; i < count; i++) tags.push(C.el_device_tag(device, i));
    const rawJson = C.el_device_raw_json(device);
    return Object.freeze({
      registrationId: C.el_device_registration_id(device),
      tags: Object.freeze(tags),
      alias: C.el_device_alias(device) ?? null,
      // The core checked it is one JSON object.
      raw: freeze(JSON.parse(rawJson)),
      rawJson,
    });
  } finally {
    C.el_device_free(device);
  }
}

/** An el_id_list as an array of its ids, in order; the el_id_list is freed. */
function readIds(list) {
  try {
    const count = Number(C.el_id_list_count(list));
    const ids = [];
    for (let i = 0; i < count; i++) ids.push(C.el_id_list_get(list, i));
    return ids;
  } finally {
    C.el_id_list_free(list);
  }
}

/**
 * An el_check_report as a frozen object of every fact (the JSON of
 * `engagelab-push check --json`); the el_check_report is freed.
 */
function readCheck(report) {
  try {
    return freeze(JSON.parse(C.el_check_report_json(report)));
  } finally {
    C.el_check_report_free(report);
  }
}

module.exports = { readDevice, readIds, readCheck };
