namespace BigGan.Training.Synthesis;

/// <summary>One synthetic row to generate: its position in the set, the seed of its latent and its 0-based class.</summary>
public readonly record struct SyntheticRequest(long RowId, ulong Seed, int ClassIndex);
