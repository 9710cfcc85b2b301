namespace MLNet.CSP.Pipelines.Detection;

/// <summary>The detector's training augmentations (see <see cref="CspObjectDetectionOptions"/> for each).</summary>
internal sealed record DetectionAugmentationSettings(double Mosaic, int CloseMosaicEpochs, double Scale, double Translate,
    double Hue, double Saturation, double Value, bool HorizontalFlip)
{
    /// <summary>Whether epoch <paramref name="epoch"/> (0-based) of <paramref name="epochs"/> builds mosaics.</summary>
    public bool MosaicIn(int epoch, int epochs) => Mosaic > 0 && epoch < epochs - CloseMosaicEpochs;

    /// <summary>The settings as text, for a run's identity (resume).</summary>
    public override string ToString() => FormattableString.Invariant(
        $"mosaic {Mosaic} close {CloseMosaicEpochs} scale {Scale} translate {Translate} hsv {Hue}/{Saturation}/{Value} flip {HorizontalFlip}");
}
