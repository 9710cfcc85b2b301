using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.CSP.Tests.Models;

/// <summary>Error measures used against the reference.</summary>
internal static class Compare
{
    /// <summary>Relative L2 error ||ours - reference|| / ||reference||.</summary>
    public static double RelativeL2(IReadOnlyList<double> ours, IReadOnlyList<double> reference)
    {
        if (ours.Count != reference.Count) throw new ArgumentException($"Length {ours.Count} vs reference {reference.Count}.");
        double diff = 0, norm = 0;
        for (int i = 0; i < ours.Count; i++)
        {
            diff += (ours[i] - reference[i]) * (ours[i] - reference[i]);
            norm += reference[i] * reference[i];
        }
        return Math.Sqrt(diff) / Math.Sqrt(norm);
    }

    /// <summary>Relative L2 error of two tensors of the same shape, computed in float64 (the norm alone when the reference is zero).</summary>
    public static double TensorRelativeL2(Tensor ours, Tensor reference)
    {
        using var scope = torch.NewDisposeScope();
        var r = reference.to(ScalarType.Float64);
        double norm = r.norm().item<double>();
        double diff = (ours.to(ScalarType.Float64) - r).norm().item<double>();
        return norm == 0 ? diff : diff / norm;
    }
}
