//! Property tests of the validators, the answer decoder and the scrubber.

use percent_encoding::percent_decode_str;
use proptest::prelude::*;

use crate::answer::{MAX_EXCERPT, decode_error_body, excerpt_scrubbed, retry_hint};
use crate::device::Device;
use crate::secret::{MIN_SCRUBBED_PREFIX, MIN_SCRUBBED_RUN, Scrubber, ignorable};
use crate::validate::{self, MAX_ALIAS_LEN, base_url, path_segment, proxy, registration_id};

/// The text as a reader may see it: `%XX` decoded (when `decode`), `\/`
/// read as `/`, ignorable characters (and decoded spaces and controls) left
/// out.
fn skeleton(text: &str, decode: bool) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if decode && b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
                && b[i + 1].is_ascii_hexdigit()
                && b[i + 2].is_ascii_hexdigit()
            {
                if v > b' ' && v != 0x7f {
                    out.push(v);
                }
                i += 3;
                continue;
            }
        }
        if text[i..].starts_with("\\/") {
            out.push(b'/');
            i += 2;
            continue;
        }
        let c = text[i..].chars().next().unwrap();
        if !ignorable(c) {
            out.extend_from_slice(c.to_string().as_bytes());
        }
        i += c.len_utf8();
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether some run of [`MIN_SCRUBBED_RUN`] bytes of `hay` is a piece of
/// `secret` (the whole `secret` when it is shorter).
fn holds_a_run_of(hay: &[u8], secret: &[u8]) -> bool {
    let w = secret.len().min(MIN_SCRUBBED_RUN);
    secret.windows(w).any(|piece| contains(hay, piece))
}

/// Ways a server may show a secret.
fn shown(secret: &str, form: u8, splits: &[usize]) -> String {
    match form % 5 {
        0 => secret.to_owned(),
        // JSON with `/` escaped, as PHP's json_encode writes it.
        4 => secret.replace('/', "\\/"),
        // Every byte percent-encoded, upper or lower case.
        1 => secret.bytes().map(|b| format!("%{b:02X}")).collect(),
        2 => secret.bytes().map(|b| format!("%{b:02x}")).collect(),
        // Split by CR/LF (raw or encoded) at some places.
        _ => {
            let mut out = String::new();
            for (i, c) in secret.char_indices() {
                if i > 0 && splits.contains(&i) {
                    out.push_str(if i % 2 == 0 { "\r\n" } else { "%0D%0A" });
                }
                out.push(c);
            }
            out
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn device_decoding_never_panics_and_keeps_the_body(
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            "\\{(\"(tags|alias|x)\":(null|\"[a-z\\\\u0]{0,8}\"|\\[(\"[a-z]{0,3}\",?|1,?){0,3}\\]|[0-9]{1,30}),?){0,4}\\}"
                .prop_map(String::into_bytes),
        ]
    ) {
        match Device::from_answer("id", 200, &body) {
            Ok(d) => {
                prop_assert_eq!(d.raw_json().as_bytes(), body.as_slice());
                prop_assert!(d.tags().iter().all(|t| !t.contains('\0')));
                prop_assert!(!d.alias().is_some_and(|a| a.contains('\0')));
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), crate::ErrorKind::InvalidResponse);
                prop_assert_eq!(e.http_status(), Some(200));
            }
        }
    }

    #[test]
    fn valid_ids_round_trip_through_the_path_segment(id in "[!-~]{1,256}") {
        prop_assume!(id != "." && id != "..");
        prop_assert!(registration_id(&id).is_ok());
        let seg = path_segment(&id);
        prop_assert!(!seg.contains('/') && !seg.contains('?') && !seg.contains('#'));
        prop_assert_eq!(percent_decode_str(&seg).decode_utf8().unwrap(), id.as_str());
    }

    #[test]
    fn accepted_aliases_are_one_segment_that_decodes_back(alias in any::<String>()) {
        if validate::alias(&alias).is_ok() {
            prop_assert!(!alias.is_empty() && alias.len() <= MAX_ALIAS_LEN);
            let seg = path_segment(&alias);
            prop_assert!(seg.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
            prop_assert!(seg != "." && seg != "..");
            prop_assert_eq!(percent_decode_str(&seg).decode_utf8().unwrap(), alias.as_str());
        }
    }

    #[test]
    fn the_id_validator_never_panics(id in any::<String>()) {
        if registration_id(&id).is_ok() {
            prop_assert!(id.bytes().all(|b| (0x21..=0x7e).contains(&b)));
            let seg = path_segment(&id);
            prop_assert_eq!(percent_decode_str(&seg).decode_utf8().unwrap(), id.as_str());
        }
    }

    #[test]
    fn the_url_validators_never_panic(
        url in prop_oneof![any::<String>(), "(https?|socks5|ftp)://[a-z0-9.:@\\[\\]]{0,20}(:[0-9+-]{0,7})?(/[ -~]{0,10})?"],
        insecure in any::<bool>(),
    ) {
        let _ = base_url(&url, insecure);
        let _ = proxy(&url);
    }

    #[test]
    fn the_answer_decoder_never_panics(
        status in any::<u16>(),
        body in prop_oneof![
            any::<Vec<u8>>(),
            any::<String>().prop_map(String::into_bytes),
            any::<String>().prop_map(|m| format!("{{\"error\":{{\"code\":1,\"message\":{m:?}}}}}").into_bytes()),
        ],
        a in proptest::option::of(prop_oneof![any::<String>(), "[0-9]{1,40}", "[0-9.e+-]{1,20}"]),
        b in proptest::option::of(prop_oneof![any::<String>(), "[0-9]{1,40}"]),
    ) {
        let (_, message) = decode_error_body(status, &body);
        prop_assert!(message.len() <= MAX_EXCERPT.max(64));
        if let Some(hint) = retry_hint(a.as_deref(), b.as_deref()) {
            prop_assert!(hint <= crate::answer::MAX_HINT);
        }
    }

    #[test]
    fn a_secret_never_survives_an_excerpt(
        secret in "[!-~]{4,48}",
        before in prop_oneof![".{0,300}", "[a-z ]{0,300}"],
        after in ".{0,40}",
        form in any::<u8>(),
        splits in proptest::collection::vec(0usize..48, 0..4),
    ) {
        let body = format!("{before}{}{after}", shown(&secret, form, &splits));
        let scrubber = Scrubber::new(&[&secret]);
        let out = excerpt_scrubbed(body.as_bytes(), &scrubber);
        prop_assert!(out.len() <= MAX_EXCERPT);
        for decode in [true, false] {
            let seen = skeleton(&out, decode);
            let raw = skeleton(&secret, decode);
            prop_assert!(!contains(&seen, secret.as_bytes()), "{:?} in {:?}", secret, out);
            prop_assert!(!contains(&seen, &raw), "{:?} in {:?}", secret, out);
            // No prefix of MIN_SCRUBBED_PREFIX bytes or more left at the end.
            for p in [secret.as_bytes(), &raw[..]] {
                for len in MIN_SCRUBBED_PREFIX..p.len() {
                    prop_assert!(!seen.ends_with(&p[..len]), "prefix of {:?} ends {:?}", secret, out);
                }
            }
        }
    }

    #[test]
    fn no_run_of_a_secret_survives_wherever_it_stands(
        secret in "[!-~]{12,64}",
        start in 0usize..64,
        len in 12usize..64,
        before in prop_oneof![".{0,300}", "[a-z ]{0,300}", Just("Basic ".to_owned())],
        after in prop_oneof![".{0,40}", Just("... rejected".to_owned())],
        form in any::<u8>(),
        splits in proptest::collection::vec(0usize..64, 0..4),
    ) {
        // A piece of the secret of 12 characters or more, anywhere.
        let start = start % (secret.len() - 11);
        let end = (start + len).min(secret.len());
        prop_assume!(end - start >= MIN_SCRUBBED_RUN);
        let piece = &secret[start..end];
        let body = format!("{before}{}{after}", shown(piece, form, &splits));
        let scrubber = Scrubber::new(&[&secret]);
        for out in [excerpt_scrubbed(body.as_bytes(), &scrubber), scrubber.scrub(&body)] {
            for decode in [true, false] {
                let seen = skeleton(&out, decode);
                prop_assert!(!holds_a_run_of(&seen, secret.as_bytes()), "{:?} in {:?}", piece, out);
                prop_assert!(!holds_a_run_of(&seen, &skeleton(&secret, decode)), "{:?} in {:?}", piece, out);
            }
        }
    }
}
