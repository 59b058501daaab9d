//! Benchmark client of `cargo xtask bench`: deletes one device over and over
//! through one pooled [`Client`] and prints one JSON line of figures.
//!
//! ```sh
//! cargo build --release -p engagelab-push --example bench_sequential
//! target/release/examples/bench_sequential N BASE_URL [CA_FILE|-] [THREADS] [WARMUP]
//! ```
//!
//! - `N`: a number of timed calls (`20000`), or a duration (`5s`): timed calls
//!   go on until it has passed.
//! - `THREADS` (default 1): threads sharing the one client; each runs the
//!   whole `N` (split evenly) or the whole duration.
//! - `WARMUP` (default 200): untimed calls first, split over the threads.
//!
//! Prints `{"impl":"rust-core", "calls":..., "median_us":..., "p99_us":...,
//! "calls_per_s":..., "cpu_us_per_call":..., "maxrss_kb":..., ...}`: latency
//! per call (nearest-rank percentiles), calls per second of wall time, the
//! process's user+system CPU time during the timed phase divided by the calls
//! (getrusage), and the process's peak RSS. Exits 1 if any call failed.

use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use engagelab_push::Client;

/// The device id every call deletes (the bench server answers 200 to any).
const DEVICE: &str = "bench-device-0001";

enum Amount {
    Calls(u64),
    Duration(Duration),
}

struct Args {
    amount: Amount,
    base_url: String,
    ca_file: Option<String>,
    threads: usize,
    warmup: u64,
}

fn parse_args() -> Result<Args, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 || args.len() > 5 {
        return Err(
            "usage: bench_sequential N|SECONDSs BASE_URL [CA_FILE|-] [THREADS] [WARMUP]".into(),
        );
    }
    let amount = match args[0].strip_suffix('s') {
        Some(secs) => Amount::Duration(Duration::from_secs_f64(
            secs.parse()
                .map_err(|_| format!("bad duration {:?}", args[0]))?,
        )),
        None => Amount::Calls(
            args[0]
                .parse()
                .map_err(|_| format!("bad N {:?}", args[0]))?,
        ),
    };
    let ca_file = args
        .get(2)
        .filter(|s| s.as_str() != "-" && !s.is_empty())
        .cloned();
    let threads = match args.get(3) {
        Some(t) => t.parse().map_err(|_| format!("bad THREADS {t:?}"))?,
        None => 1,
    };
    let warmup = match args.get(4) {
        Some(w) => w.parse().map_err(|_| format!("bad WARMUP {w:?}"))?,
        None => 200,
    };
    if threads == 0 {
        return Err("THREADS must be at least 1".into());
    }
    Ok(Args {
        amount,
        base_url: args[1].clone(),
        ca_file,
        threads,
        warmup,
    })
}

/// User+system CPU time of the whole process, and its peak RSS in KiB, read
/// from /proc (no `unsafe` outside the C-ABI crate). CPU time comes in clock
/// ticks of 10 ms (Linux's fixed USER_HZ of 100): over a run of seconds that
/// is well under 1% of the figure.
fn rusage() -> (Duration, i64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at "state".
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat(5); "state" is field 3.
    let cpu = Duration::from_millis((ticks(14 - 3) + ticks(15 - 3)) * 10);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    (cpu, peak_kib)
}

/// Timed calls of one thread: latencies in nanoseconds, and failures.
fn run(client: &Client, calls: Option<u64>, until: Option<Instant>, lat: &mut Vec<u64>) -> u64 {
    let mut errors = 0;
    let mut done = 0u64;
    loop {
        if calls.is_some_and(|n| done >= n) {
            break;
        }
        let t0 = Instant::now();
        if let Err(e) = client.delete_device(DEVICE) {
            if errors == 0 {
                eprintln!("bench_sequential: a call failed: {e}");
            }
            errors += 1;
        }
        let t1 = Instant::now();
        lat.push((t1 - t0).as_nanos() as u64);
        done += 1;
        if until.is_some_and(|end| t1 >= end) {
            break;
        }
    }
    errors
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bench_sequential: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = Client::builder("bench-app-key", "bench-master-secret")
        .base_url(&args.base_url)
        .max_retries(0);
    if let Some(ca) = &args.ca_file {
        builder = builder.ca_file(ca);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench_sequential: {e}");
            return ExitCode::FAILURE;
        }
    };

    let threads = args.threads;
    let per_thread_calls = match args.amount {
        Amount::Calls(n) => Some(n.div_ceil(threads as u64)),
        Amount::Duration(_) => None,
    };
    let warmup_per_thread = args.warmup.div_ceil(threads as u64);
    let capacity = match args.amount {
        Amount::Calls(n) => n as usize / threads + 1,
        Amount::Duration(d) => (d.as_secs_f64() * 50_000.0 / threads as f64) as usize + 1,
    };

    let mut warm_errors = 0u64;
    let (errors, lat, wall, cpu) = if threads == 1 {
        for _ in 0..warmup_per_thread {
            warm_errors += u64::from(client.delete_device(DEVICE).is_err());
        }
        let mut lat = Vec::with_capacity(capacity);
        let (cpu0, _) = rusage();
        let start = Instant::now();
        let until = match args.amount {
            Amount::Duration(d) => Some(start + d),
            Amount::Calls(_) => None,
        };
        let errors = run(&client, per_thread_calls, until, &mut lat);
        let wall = start.elapsed();
        let (cpu1, _) = rusage();
        (errors, lat, wall, cpu1 - cpu0)
    } else {
        // Every thread warms up, then all start the timed phase together; the
        // main thread takes the time around it.
        let ready = Arc::new(Barrier::new(threads + 1));
        let go = Arc::new(Barrier::new(threads + 1));
        let start_at = Arc::new(std::sync::OnceLock::<Instant>::new());
        let amount_duration = match args.amount {
            Amount::Duration(d) => Some(d),
            Amount::Calls(_) => None,
        };
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let client = client.clone();
                let (ready, go, start_at) = (ready.clone(), go.clone(), start_at.clone());
                thread::spawn(move || {
                    let mut warm = 0u64;
                    for _ in 0..warmup_per_thread {
                        warm += u64::from(client.delete_device(DEVICE).is_err());
                    }
                    ready.wait();
                    go.wait();
                    let start = *start_at.get().expect("start time set before go");
                    let until = amount_duration.map(|d| start + d);
                    let mut lat = Vec::with_capacity(capacity);
                    let errors = run(&client, per_thread_calls, until, &mut lat);
                    (warm, errors, lat)
                })
            })
            .collect();
        ready.wait();
        let (cpu0, _) = rusage();
        let start = Instant::now();
        start_at.set(start).expect("set once");
        go.wait();
        let mut lat = Vec::new();
        let mut errors = 0;
        for h in handles {
            let (w, e, l) = h.join().expect("bench thread panicked");
            warm_errors += w;
            errors += e;
            lat.extend(l);
        }
        let wall = start.elapsed();
        let (cpu1, _) = rusage();
        (errors, lat, wall, cpu1 - cpu0)
    };

    let (_, maxrss_kb) = rusage();
    let mut sorted = lat;
    sorted.sort_unstable();
    let calls = sorted.len() as u64;
    let mean_ns = sorted.iter().sum::<u64>().checked_div(calls).unwrap_or(0);
    let us = |ns: u64| ns as f64 / 1000.0;
    println!(
        "{{\"impl\":\"rust-core\",\"threads\":{threads},\"warmup\":{},\"calls\":{calls},\
         \"errors\":{},\"wall_s\":{:.6},\"median_us\":{:.2},\"p99_us\":{:.2},\"mean_us\":{:.2},\
         \"calls_per_s\":{:.1},\"cpu_us_per_call\":{:.3},\"maxrss_kb\":{maxrss_kb}}}",
        warmup_per_thread * threads as u64,
        errors + warm_errors,
        wall.as_secs_f64(),
        us(percentile(&sorted, 0.50)),
        us(percentile(&sorted, 0.99)),
        us(mean_ns),
        calls as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / calls.max(1) as f64,
    );
    if errors + warm_errors > 0 {
        eprintln!("bench_sequential: {} calls failed", errors + warm_errors);
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
