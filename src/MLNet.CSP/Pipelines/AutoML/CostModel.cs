namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// Estimates of what trials cost, from what earlier trials measured: forward seconds per image per architecture and size
/// (featurization), seconds per fine-tuning epoch (rungs, including reading the data), seconds per head fit per feature value.
/// Before an architecture was measured, its forward cost is scaled from a measured one by multiply-accumulates.
/// </summary>
internal sealed class CostModel(long trainRows, long validationRows)
{
    private readonly Dictionary<(string, int), double> forwardPerImage = [];
    private readonly Dictionary<(string, int), double> epochSeconds = [];
    private readonly Dictionary<(string, int), double> macs = [];
    private readonly Dictionary<CspHeadTrainer, double> headPerValue = [];
    private double trainFactor = 3; // fine-tuning image ~ forward + backward ~ 3 forwards; replaced by measurement

    public void RecordForward((string, int) combo, double seconds, long images) => forwardPerImage[combo] = seconds / Math.Max(1, images);

    public void RecordEpochs((string, int) combo, double seconds, int epochs)
    {
        if (epochs < 1) return;
        epochSeconds[combo] = seconds / epochs;
        if (Forward(combo) is double f && f > 0 && trainRows > 0)
            trainFactor = Math.Max(1, (seconds / epochs - f * validationRows) / (f * trainRows));
    }

    public void RecordHead(CspHeadTrainer head, double seconds, long rows, long dimensions) => headPerValue[head] = seconds / Math.Max(1, rows * dimensions);

    /// <summary>Forward seconds per image, measured or scaled by MACs from a measured combination; null before any measurement.</summary>
    public double? Forward((string Architecture, int Size) combo)
    {
        if (forwardPerImage.TryGetValue(combo, out var known)) return known;
        if (forwardPerImage.Count == 0) return null;
        var (reference, perImage) = forwardPerImage.First();
        return perImage * Macs(combo) / Math.Max(1, Macs(reference));
    }

    public double? Featurize((string, int) combo) => Forward(combo) * (trainRows + validationRows);

    public double? Epoch((string, int) combo) =>
        epochSeconds.TryGetValue(combo, out var known) ? known : Forward(combo) * (trainFactor * trainRows + validationRows);

    public double? Head(CspHeadTrainer head, long rows, long dimensions) => headPerValue.TryGetValue(head, out var s) ? s * rows * dimensions : null;

    public double Macs((string Architecture, int Size) combo)
    {
        if (!macs.TryGetValue(combo, out var value))
            macs[combo] = value = Backbones.Describe(PretrainedTags.Split(combo.Architecture).Architecture, combo.Size, combo.Size, 10).Macs;
        return value;
    }
}
