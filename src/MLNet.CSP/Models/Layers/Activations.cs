namespace MLNet.CSP.Models.Layers;

/// <summary>Applies an <see cref="ActivationKind"/> to a tensor.</summary>
internal static class Activations
{
    /// <summary>LeakyReLU slope used by timm's <c>leaky_relu</c> layer.</summary>
    public const double LeakySlope = 0.01;

    /// <summary>
    /// Applies the activation. With <paramref name="inPlace"/> the input is overwritten and returned
    /// (safe right after a BatchNorm, as the reference does); otherwise a new tensor is returned.
    /// </summary>
    public static Tensor Apply(Tensor x, ActivationKind kind, bool inPlace) => kind switch
    {
        ActivationKind.None => inPlace ? x : x.alias(),
        ActivationKind.ReLU => inPlace ? x.relu_() : x.relu(),
        ActivationKind.LeakyReLU => inPlace ? x.leaky_relu_(LeakySlope) : x.leaky_relu(LeakySlope),
        ActivationKind.SiLU => inPlace ? x.silu_() : x.silu(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation."),
    };
}
