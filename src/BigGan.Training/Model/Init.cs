using System.Text.Json.Serialization;

namespace BigGan.Training.Model;

/// <summary>How conv, linear and embedding weights are initialised (BigGAN-PyTorch's G_init / D_init).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Init>))]
public enum Init
{
    /// <summary>Orthogonal rows over the weight flattened to [out, rest] (the paper's default).</summary>
    Ortho,

    /// <summary>N(0, 0.02) (the reference CIFAR script).</summary>
    N02,

    /// <summary>Glorot/Xavier uniform.</summary>
    Xavier,
}
