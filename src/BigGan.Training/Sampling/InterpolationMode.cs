namespace BigGan.Training.Sampling;

/// <summary>What changes along a row of an interpolation sheet (the reference's interp sheets).</summary>
public enum InterpolationMode
{
    /// <summary>The latent moves between two endpoints; the class stays fixed (the reference's fix_y).</summary>
    Z,

    /// <summary>The class embedding moves between two classes; the latent stays fixed (fix_z).</summary>
    Class,

    /// <summary>Both move at once.</summary>
    Both,
}
