namespace BigGan.Training.Synthesis;

/// <summary>A generated row: its request and its pixels (CHW, [0, 255]).</summary>
public sealed record SyntheticImage(SyntheticRequest Request, float[] Pixels);
