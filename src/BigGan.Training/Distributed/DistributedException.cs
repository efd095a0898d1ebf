namespace BigGan.Training.Distributed;

/// <summary>A distributed operation failed: the rendezvous could not complete, a collective timed out, or a peer
/// died. After one during a collective the process group is not usable any more: dispose it and exit.</summary>
public sealed class DistributedException : Exception
{
    public DistributedException(string message) : base(message) { }

    public DistributedException(string message, Exception inner) : base(message, inner) { }

    internal DistributedException(string message, bool timedOut, Exception? inner = null) : base(message, inner) => TimedOut = timedOut;

    /// <summary>True when the failure was a timeout (as opposed to a broken connection).</summary>
    public bool TimedOut { get; }
}
