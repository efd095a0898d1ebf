using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using BigGan.Training.Distributed;
using BigGan.Training.IO;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan train --nproc N</c>: starts N workers of this same program on this machine, as torchrun would: each gets
/// MASTER_ADDR=127.0.0.1, a free MASTER_PORT, RANK, WORLD_SIZE=N and LOCAL_RANK, and the same arguments minus
/// <c>--nproc</c>. Rank 0's output is passed through, the others' prefixed with their rank. When a worker fails
/// (non-zero exit, killed by a signal) the others are killed at once and the launch fails with a message naming it;
/// workers also stop by themselves if the launcher dies (their stdin, a pipe from the launcher, reaches its end).
/// SIGINT and SIGTERM to the launcher reach the workers as stop requests on that pipe (see <see cref="Run"/>).
/// </summary>
internal static class LocalLauncher
{
    /// <summary>Set in each worker's environment: the launcher's process id (the worker then watches its stdin).</summary>
    public const string LauncherVariable = "BIGGAN_LAUNCHER_PID";

    private static readonly object OutputGate = new();

    /// <summary>The line a launcher writes to its workers' stdin to ask them to stop as on that signal (then its number).</summary>
    private const string StopRequest = "stop";

    /// <summary>Whether this process is a worker started by <see cref="Run"/>.</summary>
    public static bool IsWorker => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(LauncherVariable));

    /// <summary>
    /// Starts the workers and waits for them. SIGINT or SIGTERM to the launcher is passed to every worker as a stop
    /// request (finish the step, rank 0 saves, all exit with 128 + the signal number); a second one kills them at once.
    /// A worker that stops on an interrupt of its own (all ranks then stop at the same step) is given
    /// <paramref name="distTimeout"/> for the others to follow before they are stopped.
    /// </summary>
    public static int Run(int nproc, IReadOnlyList<string> workerArgs, TimeSpan distTimeout)
    {
        var port = LocalLaunch.FreeLoopbackPort();
        var (exe, prefix) = LocalLaunch.CurrentProgram();
        var workers = new List<Worker>();
        int signal = 0, signalsReceived = 0;
        void KillAll()
        {
            foreach (var w in workers) w.Kill();
        }
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            var number = context.Signal == PosixSignal.SIGTERM ? 15 : 2;
            lock (workers)
            {
                if (++signalsReceived == 1)
                {
                    signal = number;
                    Write(Console.Error, $"launcher: {TrainingInterruption.Name(number)}: asking the {workers.Count} workers to finish their step and save a checkpoint; " +
                                         "send it again to stop them at once without saving");
                    foreach (var w in workers) w.RequestStop(number);
                }
                else KillAll();
            }
        }
        EventHandler onExit = (_, _) => KillAll();
        var registrations = OperatingSystem.IsWindows() ? [] : new[]
        {
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        };
        AppDomain.CurrentDomain.ProcessExit += onExit;
        try
        {
            lock (workers)
            {
                for (int rank = 0; rank < nproc; rank++)
                {
                    var env = new DistributedEnvironment("127.0.0.1", port, rank, nproc, rank).ToEnvironment();
                    workers.Add(Worker.Start(exe, [.. prefix, .. workerArgs], env, rank));
                }
            }
            Write(Console.Out, $"launcher: {nproc} workers on 127.0.0.1:{port} (pids {string.Join(", ", workers.Select(w => w.Pid))})");

            var running = new List<Worker>(workers);
            DateTime? interruptedAt = null; // when a worker stopped on an interrupt of its own
            while (running.Count > 0)
            {
                Thread.Sleep(50);
                var exited = running.Where(w => w.HasExited).ToList();
                running.RemoveAll(exited.Contains);
                if (signalsReceived > 1) break;
                var unexpected = exited.Where(w => w.ExitCode != 0 && !IsInterruptCode(w.ExitCode)).ToList();
                if (unexpected.Count == 0)
                {
                    if (exited.Any(w => IsInterruptCode(w.ExitCode))) interruptedAt ??= DateTime.UtcNow;
                    if (running.Count == 0 || signal != 0 || interruptedAt is null || DateTime.UtcNow - interruptedAt < distTimeout) continue;
                }

                // A worker failed (or the others did not follow a stopped one): the job cannot go on. Stop the
                // rest, then name the failures, the earliest first.
                KillAll();
                foreach (var w in workers) w.WaitForExit(TimeSpan.FromSeconds(10));
                var failed = workers.Where(w => w.HasExited && w.ExitCode != 0 && !w.KilledByLauncher)
                    .OrderBy(w => w.ExitTime).ToList();
                var first = failed.FirstOrDefault() ?? exited.FirstOrDefault(w => w.ExitCode != 0) ?? workers.First();
                var stopped = workers.Where(w => w.KilledByLauncher).Select(w => w.Rank).ToList();
                Write(Console.Error, $"error: worker rank {first.Rank} (pid {first.Pid}) {first.Describe()}" +
                    (stopped.Count > 0 ? $"; stopped the other worker(s): rank {string.Join(", ", stopped)}" : ""));
                foreach (var w in failed.Skip(1).Where(w => w != first))
                    Write(Console.Error, $"error: worker rank {w.Rank} (pid {w.Pid}) {w.Describe()}");
                return 1;
            }
            if (signalsReceived > 1)
            {
                foreach (var w in workers) w.WaitForExit(TimeSpan.FromSeconds(10));
                Write(Console.Error, $"launcher: a second {TrainingInterruption.Name(signal)}: stopped the workers (rank {string.Join(", ", workers.Select(w => w.Rank))}) " +
                                     "without saving; the checkpoints written before are intact");
                return 128 + signal;
            }
            var interruptCode = workers.Select(w => w.ExitCode).FirstOrDefault(IsInterruptCode);
            if (signal != 0 || interruptCode != 0)
            {
                var by = signal != 0 ? $"{TrainingInterruption.Name(signal)} to the launcher"
                    : $"{TrainingInterruption.Name(interruptCode - 128)} to worker rank {string.Join(", ", workers.Where(w => w.ExitCode == interruptCode).Select(w => w.Rank))}";
                // Whether a checkpoint was written (training may not have started yet) rank 0 has said just before.
                Write(Console.Error, $"launcher: stopped by {by}: all {workers.Count} workers stopped together");
                return signal != 0 ? 128 + signal : interruptCode;
            }
            return 0;
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
            KillAll();
            foreach (var w in workers) w.Dispose();
            AppDomain.CurrentDomain.ProcessExit -= onExit;
        }
    }

    // A worker's exit code after a stop on SIGINT or SIGTERM (also the code of one killed by those signals).
    private static bool IsInterruptCode(int code) => code is 130 or 143;

    /// <summary>
    /// In a worker started by <see cref="Run"/>: takes stop requests from the launcher (lines on stdin) to
    /// <paramref name="interruption"/>, and stops this process when the launcher goes away (its end of the stdin pipe
    /// closes), so a killed launcher leaves no orphaned training behind.
    /// </summary>
    public static void WatchLauncher(TrainingInterruption interruption)
    {
        if (!IsWorker) return;
        var thread = new Thread(() =>
        {
            try
            {
                using var stdin = new StreamReader(Console.OpenStandardInput());
                while (stdin.ReadLine() is { } line)
                {
                    var parts = line.Split(' ');
                    if (parts.Length == 2 && parts[0] == StopRequest && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var signal))
                        interruption.Request(signal);
                }
            }
            catch (IOException) { }
            Console.Error.WriteLine("error: the launcher (biggan train --nproc) has exited; stopping this worker");
            Environment.Exit(1);
        }) { IsBackground = true, Name = "biggan launcher watch" };
        thread.Start();
    }

    /// <summary>The arguments minus every occurrence of the option <paramref name="name"/> and its value (also
    /// written name=value or name:value): the workers get the launcher's arguments without <c>--nproc</c>.</summary>
    public static List<string> Without(IEnumerable<string> args, string name)
    {
        var result = new List<string>();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var a = e.Current;
            if (a == name) { e.MoveNext(); continue; }
            if (a.StartsWith(name + "=", StringComparison.Ordinal) || a.StartsWith(name + ":", StringComparison.Ordinal)) continue;
            result.Add(a);
        }
        return result;
    }

    private static void Write(TextWriter writer, string line)
    {
        lock (OutputGate)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private sealed class Worker : IDisposable
    {
        private readonly Process _process;

        public int Rank { get; }
        public int Pid { get; }
        public bool KilledByLauncher { get; private set; }

        private Worker(Process process, int rank)
        {
            _process = process;
            Rank = rank;
            Pid = process.Id;
        }

        public static Worker Start(string exe, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, int rank)
        {
            var psi = new ProcessStartInfo(exe)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var (k, v) in env) psi.Environment[k] = v;
            psi.Environment[LauncherVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            var p = new Process { StartInfo = psi };
            var prefix = rank == 0 ? "" : $"[rank {rank}] ";
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) Write(Console.Out, prefix + e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Write(Console.Error, prefix + e.Data); };
            if (!p.Start()) throw new InvalidOperationException($"cannot start worker rank {rank}: {exe}");
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return new Worker(p, rank);
        }

        /// <summary>Asks the worker to stop as on <paramref name="signal"/> (a line on its stdin).</summary>
        public void RequestStop(int signal)
        {
            try
            {
                if (_process.HasExited) return;
                _process.StandardInput.WriteLine($"{StopRequest} {signal.ToString(CultureInfo.InvariantCulture)}");
                _process.StandardInput.Flush();
            }
            catch (IOException) { }
            catch (InvalidOperationException) { }
        }

        public bool HasExited => _process.HasExited;
        public int ExitCode => _process.ExitCode;
        public DateTime ExitTime => _process.ExitTime;

        public void WaitForExit(TimeSpan limit)
        {
            if (_process.WaitForExit(limit)) _process.WaitForExit(); // drains the output readers
        }

        public void Kill()
        {
            try
            {
                if (_process.HasExited) return;
                KilledByLauncher = true;
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException) { }
            catch (System.ComponentModel.Win32Exception) { }
        }

        /// <summary>"exited with code 3" or "was killed by signal 9 (SIGKILL)" (exit codes above 128 are signals on Unix).</summary>
        public string Describe()
        {
            var code = _process.ExitCode;
            if (code > 128 && code < 160 && !OperatingSystem.IsWindows())
            {
                var signal = code - 128;
                var name = signal switch { 9 => " (SIGKILL)", 15 => " (SIGTERM)", 6 => " (SIGABRT)", 11 => " (SIGSEGV)", 2 => " (SIGINT)", _ => "" };
                return $"was killed by signal {signal}{name}";
            }
            return $"exited with code {code}";
        }

        public void Dispose()
        {
            Kill();
            _process.Dispose();
        }
    }
}
