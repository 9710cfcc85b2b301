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
}
