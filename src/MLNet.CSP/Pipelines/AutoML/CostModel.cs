namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// Estimates of what trials cost, from what earlier trials measured: forward seconds per image per architecture and size
/// (featurization), seconds per fine-tuning epoch (rungs, including reading the data), seconds per head fit per feature value.
/// Before an architecture was measured, its forward cost is scaled from a measured one by multiply-accumulates.
/// </summary>
internal sealed class CostModel(long trainRows, long validationRows)
{
    private readonly Dictionary<(string, int), double> forwardPerImage = [];
    private readonly Dictionary<(string, int, bool), List<(int Epochs, double Seconds)>> rungs = [];
    private readonly Dictionary<(string, int), double> macs = [];
    private readonly Dictionary<CspHeadTrainer, double> headPerValue = [];
    private double trainFactor = 3; // fine-tuning image ~ forward + backward ~ 3 forwards; replaced by measurement

    public void RecordForward((string, int) combo, double seconds, long images) => forwardPerImage[combo] = seconds / Math.Max(1, images);

    /// <summary>
    /// Records a fine-tuning rung: <paramref name="seconds"/> for <paramref name="epochs"/> epochs, reading and validating
    /// included; a frozen backbone (no backward pass through it) is measured apart.
    /// </summary>
    public void RecordRung((string, int) combo, bool frozen, double seconds, int epochs)
    {
        if (epochs < 1) return;
        if (!rungs.TryGetValue((combo.Item1, combo.Item2, frozen), out var list)) rungs[(combo.Item1, combo.Item2, frozen)] = list = [];
        list.Add((epochs, seconds));
        if (!frozen && Forward(combo) is double f && f > 0 && trainRows > 0 && Rung(combo, frozen) is var (perEpoch, _))
            trainFactor = Math.Max(1, (perEpoch - f * validationRows) / (f * trainRows));
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

    /// <summary>
    /// Seconds per fine-tuning epoch and per trial-rung (the fixed part: reading the data, building the model, validating): a line
    /// through the shortest and longest rungs measured, or all per epoch while one length was measured, or scaled from the
    /// forward cost before any rung (a frozen backbone is estimated as a trained one); null before any measurement.
    /// </summary>
    public (double PerEpoch, double PerTrial)? Rung((string, int) combo, bool frozen)
    {
        if (rungs.TryGetValue((combo.Item1, combo.Item2, frozen), out var list) && list.Count > 0)
        {
            // The slowest of each length: rungs of one length vary with the settings (augmentation, batch statistics).
            var shortest = list.Where(r => r.Epochs == list.Min(x => x.Epochs)).MaxBy(r => r.Seconds);
            var longest = list.Where(r => r.Epochs == list.Max(x => x.Epochs)).MaxBy(r => r.Seconds);
            if (longest.Epochs > shortest.Epochs)
            {
                double perEpoch = (longest.Seconds - shortest.Seconds) / (longest.Epochs - shortest.Epochs);
                if (perEpoch > 0) return (perEpoch, Math.Max(0, shortest.Seconds - perEpoch * shortest.Epochs));
            }
            return (longest.Seconds / longest.Epochs, 0);
        }
        return Forward(combo) is double f ? (f * (trainFactor * trainRows + validationRows), 0) : null;
    }

    /// <summary>Whether a fine-tuning rung of this combination was timed (else <see cref="Rung"/> is scaled from a forward pass).</summary>
    public bool RungMeasured((string, int) combo, bool frozen) => rungs.TryGetValue((combo.Item1, combo.Item2, frozen), out var list) && list.Count > 0;

    public double? Head(CspHeadTrainer head, long rows, long dimensions) => headPerValue.TryGetValue(head, out var s) ? s * rows * dimensions : null;

    public double Macs((string Architecture, int Size) combo)
    {
        if (!macs.TryGetValue(combo, out var value))
            macs[combo] = value = Backbones.Describe(PretrainedTags.Split(combo.Architecture).Architecture, combo.Size, combo.Size, 10).Macs;
        return value;
    }
}
