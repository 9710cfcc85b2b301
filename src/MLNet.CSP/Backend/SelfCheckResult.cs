namespace MLNet.CSP.Backend;

/// <summary>One case of the numerical self-check: relative L2 errors of float32 against float64 for the same inputs.</summary>
/// <param name="Case">What was convolved (kernel, channels, size, layout).</param>
/// <param name="OutputError">Error of the output.</param>
/// <param name="InputGradientError">Error of the gradient with respect to the input.</param>
/// <param name="WeightGradientError">Error of the gradient with respect to the weight.</param>
public sealed record SelfCheckResult(string Case, double OutputError, double InputGradientError, double WeightGradientError)
{
    /// <summary>Largest relative error a correct float32 convolution of these sizes shows (they measure about 1e-7).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The worst of the three errors.</summary>
    public double WorstError => Math.Max(OutputError, Math.Max(InputGradientError, WeightGradientError));

    /// <summary>All three errors within <see cref="Tolerance"/> (NaN fails).</summary>
    public bool Passed => WorstError <= Tolerance;

    /// <inheritdoc />
    public override string ToString() => $"{Case}: output {OutputError:E1}, input gradient {InputGradientError:E1}, weight gradient {WeightGradientError:E1}";
}
