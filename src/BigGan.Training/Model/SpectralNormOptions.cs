namespace BigGan.Training.Model;

/// <summary>Settings shared by the spectrally normalised layers of one network.</summary>
/// <param name="NumSvs">Singular values tracked (the first normalises the weight; the others are only logged).</param>
/// <param name="NumItrs">Power iterations per training forward.</param>
/// <param name="Eps">Floor of the vector norms in the power iteration.</param>
public readonly record struct SpectralNormOptions(int NumSvs = 1, int NumItrs = 1, double Eps = 1e-8)
{
    internal void Check()
    {
        if (NumSvs < 1) throw new ArgumentOutOfRangeException(nameof(NumSvs), NumSvs, "spectral norm needs at least one singular value");
        if (NumItrs < 1) throw new ArgumentOutOfRangeException(nameof(NumItrs), NumItrs, "spectral norm needs at least one power iteration");
        if (!(Eps > 0)) throw new ArgumentOutOfRangeException(nameof(Eps), Eps, "spectral norm eps must be positive");
    }
}
