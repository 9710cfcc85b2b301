using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// Estimates of what trials cost, from what earlier trials measured: forward seconds per image per architecture and size
/// (featurization), seconds per fine-tuning epoch and per trial-rung apart (the trainer times its epochs; the rest of a rung
/// is fixed: reading the data, validating), seconds per head fit per feature value. Before a combination was measured, its
/// cost is scaled from a measured one by multiply-accumulates.
/// </summary>
internal sealed class CostModel(long trainRows, long validationRows)
{
    private readonly Dictionary<(string, int), double> forwardPerImage = [];
    private readonly Dictionary<(string, int, bool), List<(double PerEpoch, double Fixed, int Epochs, CspAugmentation Augmentation)>> rungs = [];
    private readonly Dictionary<(string, int), double> macs = [];
    private readonly Dictionary<CspHeadTrainer, double> headPerValue = [];

    /// <summary>Training seconds per image over forward seconds per image, before any trained rung was timed (forward + backward).</summary>
    private const double TrainFactor = 3;

    public void RecordForward((string, int) combo, double seconds, long images) => forwardPerImage[combo] = seconds / Math.Max(1, images);

    /// <summary>
    /// Records a fine-tuning rung: <paramref name="seconds"/> in all, of which the trainer timed each epoch it ran
    /// (<paramref name="epochSeconds"/>); the rest is the rung's fixed part (reading and caching the images, building the model,
    /// loading and writing checkpoints, the validation pass). A frozen backbone (no backward pass through it) is measured apart;
    /// the augmentation is kept so that a configuration can be priced from its own rungs (<see cref="OwnRung"/>).
    /// </summary>
    public void RecordRung((string, int) combo, bool frozen, double seconds, IReadOnlyList<double> epochSeconds,
        CspAugmentation augmentation = CspAugmentation.None)
    {
        if (epochSeconds.Count == 0) return;
        if (!rungs.TryGetValue((combo.Item1, combo.Item2, frozen), out var list)) rungs[(combo.Item1, combo.Item2, frozen)] = list = [];
        double fixedPart = Math.Max(0, seconds - epochSeconds.Sum());
        list.Add((epochSeconds.Average(), fixedPart, epochSeconds.Count, augmentation));
    }

    /// <summary>
    /// Seconds per epoch and per trial-rung of one configuration from the rungs that share what sets its cost (architecture,
    /// size, frozen or not, augmentation): the mean epoch over all their epochs and the slowest fixed part. Where
    /// <see cref="Rung"/> plans for the slowest configuration of a combination, this sizes a fit of a known one (the final fit:
    /// sized from the slowest rung of its combination it ran 25-57% under its estimate). Null when no such rung was timed.
    /// </summary>
    public (double PerEpoch, double PerTrial)? OwnRung((string, int) combo, bool frozen, CspAugmentation augmentation)
    {
        if (!rungs.TryGetValue((combo.Item1, combo.Item2, frozen), out var list)) return null;
        var own = list.Where(r => r.Augmentation == augmentation).ToList();
        if (own.Count == 0) return null;
        return (own.Sum(r => r.PerEpoch * r.Epochs) / own.Sum(r => r.Epochs), own.Max(r => r.Fixed));
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
    /// Seconds per fine-tuning epoch and per trial-rung (the fixed part: reading the data, building the model, validating,
    /// writing checkpoints): the slowest measured of each (rungs of one combination vary with the settings, e.g. augmentation).
    /// Before any rung of the combination (a frozen backbone is estimated as a trained one): the slowest trained combination's
    /// epoch scaled by multiply-accumulates (a cached epoch is compute, no decoding; by the forward passes where they say
    /// more) and its fixed part plus this network's validation pass; before any trained rung, the forward pass times
    /// <see cref="TrainFactor"/>. Null before any measurement.
    /// </summary>
    public (double PerEpoch, double PerTrial)? Rung((string, int) combo, bool frozen)
    {
        if (rungs.TryGetValue((combo.Item1, combo.Item2, frozen), out var list) && list.Count > 0)
            return (list.Max(r => r.PerEpoch), list.Max(r => r.Fixed));
        double? forward = Forward(combo);
        var trained = rungs.Where(e => !e.Key.Item3 && e.Value.Count > 0).ToList();
        if (trained.Count > 0)
            return (trained.Max(e => e.Value.Max(r => r.PerEpoch) * Ratio(combo, (e.Key.Item1, e.Key.Item2))),
                trained.Max(e => e.Value.Max(r => r.Fixed)) + (forward ?? 0) * validationRows);
        return forward is double f ? (f * TrainFactor * trainRows, f * validationRows) : null;
    }

    /// <summary>
    /// How much more an image of <paramref name="combo"/> costs than one of <paramref name="reference"/>: by multiply-accumulates,
    /// or by timed forward passes where both were timed and they say more (a forward pass timed while featurizing includes
    /// decoding the image, which makes heavy networks look cheap next to light ones; MACs miss memory-bound layers).
    /// </summary>
    private double Ratio((string, int) combo, (string, int) reference)
    {
        double ratio = Macs(combo) / Math.Max(1, Macs(reference));
        if (forwardPerImage.TryGetValue(combo, out var a) && forwardPerImage.TryGetValue(reference, out var b) && b > 0) ratio = Math.Max(ratio, a / b);
        return ratio;
    }

    /// <summary>Whether a fine-tuning rung of this combination was timed (else <see cref="Rung"/> is scaled from another combination or a forward pass).</summary>
    public bool RungMeasured((string, int) combo, bool frozen) => rungs.TryGetValue((combo.Item1, combo.Item2, frozen), out var list) && list.Count > 0;

    public double? Head(CspHeadTrainer head, long rows, long dimensions) => headPerValue.TryGetValue(head, out var s) ? s * rows * dimensions : null;

    public double Macs((string Architecture, int Size) combo)
    {
        if (!macs.TryGetValue(combo, out var value))
            macs[combo] = value = Backbones.Describe(PretrainedTags.Split(combo.Architecture).Architecture, combo.Size, combo.Size, 10).Macs;
        return value;
    }
}
