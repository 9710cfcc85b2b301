namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// Estimates of what trials cost, from what earlier trials measured: forward seconds per image per architecture and size
/// (featurization), seconds per fine-tuning epoch and per trial-rung apart (the trainer times its epochs; the rest of a rung
/// is fixed: reading the data, validating), seconds per head fit per feature value.
/// Before an architecture was measured, its forward cost is scaled from a measured one by multiply-accumulates.
/// </summary>
internal sealed class CostModel(long trainRows, long validationRows)
{
    private readonly Dictionary<(string, int), double> forwardPerImage = [];
    private readonly Dictionary<(string, int, bool), List<(double PerEpoch, double Fixed)>> rungs = [];
    private readonly Dictionary<(string, int), double> macs = [];
    private readonly Dictionary<CspHeadTrainer, double> headPerValue = [];
    private double trainFactor = 3; // fine-tuning image ~ forward + backward ~ 3 forwards; replaced by measurement
    private double dataPerRow; // a rung's fixed seconds per image besides the validation forward pass; from measurements

    public void RecordForward((string, int) combo, double seconds, long images) => forwardPerImage[combo] = seconds / Math.Max(1, images);

    /// <summary>
    /// Records a fine-tuning rung: <paramref name="seconds"/> in all, of which the trainer timed each epoch it ran
    /// (<paramref name="epochSeconds"/>); the rest is the rung's fixed part (reading and caching the images, building the model,
    /// loading its checkpoint, the validation pass). A frozen backbone (no backward pass through it) is measured apart.
    /// </summary>
    public void RecordRung((string, int) combo, bool frozen, double seconds, IReadOnlyList<double> epochSeconds)
    {
        if (epochSeconds.Count == 0) return;
        if (!rungs.TryGetValue((combo.Item1, combo.Item2, frozen), out var list)) rungs[(combo.Item1, combo.Item2, frozen)] = list = [];
        double fixedPart = Math.Max(0, seconds - epochSeconds.Sum());
        list.Add((epochSeconds.Average(), fixedPart));
        if (Forward(combo) is not double f || f <= 0) return;
        if (!frozen && trainRows > 0) trainFactor = Math.Max(1, Rung(combo, frozen)!.Value.PerEpoch / (f * trainRows));
        // What the fixed part spends besides the validation forward pass is mostly reading the images: the same for any network.
        dataPerRow = Math.Max(dataPerRow, (fixedPart - f * validationRows) / Math.Max(1, trainRows + validationRows));
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
    /// Seconds per fine-tuning epoch and per trial-rung (the fixed part: reading the data, building the model, validating): the
    /// slowest measured of each (rungs of one combination vary with the settings, e.g. augmentation), or, before any rung of the
    /// combination, its forward cost scaled to training (by what trained combinations measured) plus the validation pass and
    /// the reading that other rungs measured (a frozen backbone is estimated as a trained one); null before any measurement.
    /// </summary>
    public (double PerEpoch, double PerTrial)? Rung((string, int) combo, bool frozen)
    {
        if (rungs.TryGetValue((combo.Item1, combo.Item2, frozen), out var list) && list.Count > 0)
            return (list.Max(r => r.PerEpoch), list.Max(r => r.Fixed));
        return Forward(combo) is double f ? (f * trainFactor * trainRows, f * validationRows + dataPerRow * (trainRows + validationRows)) : null;
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
