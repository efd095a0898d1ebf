using System.Runtime.InteropServices;

namespace BigGan.Cli.Commands;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM (what schedulers and containers send) during <c>biggan train</c>. Once training runs,
/// the first signal requests a stop: the trainer finishes its current step, writes a checkpoint and the command exits
/// with 128 + the signal number (130 for SIGINT, 143 for SIGTERM). A second signal ends the process at once with the
/// same code, without saving (the checkpoints already written stay intact: they are written atomically).
/// Before training starts (data loading, model building) there is nothing to save, and a signal ends the process at once.
/// In a data-parallel run every rank stops at the same step; one that got no signal itself exits with 0.
/// A worker of <c>--nproc</c> also gets stop requests from its launcher, through its stdin (<see cref="Request"/>):
/// those never count as the second signal, since a Ctrl-C in a terminal reaches the launcher and the workers alike.
/// </summary>
internal sealed class TrainingInterruption : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly Action<string> _say;
    private int _signalsReceived;
    private volatile bool _training;

    /// <param name="say">Where to tell the user what happens (rank 0's standard error; nothing on other ranks).</param>
    public TrainingInterruption(Action<string> say)
    {
        _say = say;
        if (OperatingSystem.IsWindows()) return;
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
    }

    /// <summary>Cancelled when a stop is requested.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>The signal number (2 or 15) of the first stop request, or 0 when none came.</summary>
    public int Signal { get; private set; }

    /// <summary>"SIGINT" or "SIGTERM".</summary>
    public string SignalName => Name(Signal);

    /// <summary>The conventional exit code after a stop on <see cref="Signal"/>: 128 + the signal number.</summary>
    public int ExitCode => 128 + Signal;

    /// <summary>From now on a first signal stops training at the next step boundary instead of ending the process.</summary>
    public void TrainingStarted() => _training = true;

    public static string Name(int signal) => signal switch { 2 => "SIGINT", 15 => "SIGTERM", _ => $"signal {signal}" };

    private void OnSignal(PosixSignalContext context)
    {
        var number = context.Signal == PosixSignal.SIGTERM ? 15 : 2;
        if (Interlocked.Increment(ref _signalsReceived) > 1 || !_training)
        {
            // Ends the process now. Not the signal's default action: a process started in the background by a
            // non-interactive shell inherits SIGINT ignored, and an explicit kill -INT must still end it.
            context.Cancel = true;
            _say(_training ? $"{Name(number)} again: stopping at once without saving" : $"{Name(number)} before training started: stopping, nothing to save");
            ExitNow(128 + number);
        }
        context.Cancel = true;
        Stop(number, $"{Name(number)}: finishing the current step and saving a checkpoint; send it again to stop at once without saving");
    }

    /// <summary>A stop request that is not a signal to this process (the launcher forwarding one it received).
    /// Before training starts the process exits at once with 128 + <paramref name="signal"/>.</summary>
    public void Request(int signal)
    {
        if (!_training)
        {
            _say($"{Name(signal)} (from the launcher) before training started: stopping, nothing to save");
            ExitNow(128 + signal);
        }
        Stop(signal, $"{Name(signal)} (from the launcher): finishing the current step and saving a checkpoint");
    }

    private void Stop(int signal, string message)
    {
        lock (_stop)
        {
            if (_stop.IsCancellationRequested) return;
            Signal = signal;
            _say(message);
            _stop.Cancel();
        }
    }

    // Environment.Exit would run the runtime's and libtorch's exit handlers while the training thread is still inside
    // libtorch, which can crash (SIGSEGV) on the way out; _exit ends the process as it stands, after the output is flushed.
    private static void ExitNow(int code)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        if (OperatingSystem.IsWindows()) Environment.Exit(code);
        _exit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void _exit(int status);

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _stop.Dispose();
    }
}
