namespace BigGan.Training.Distributed;

// PLACEHOLDER during the port; replaced by the Gloo-backed implementation.
public sealed class ProcessGroup { }
