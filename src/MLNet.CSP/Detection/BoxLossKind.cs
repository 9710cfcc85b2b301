namespace MLNet.CSP.Detection;

/// <summary>The box regression loss of the detector's positives.</summary>
public enum BoxLossKind
{
    /// <summary>1 - CIoU (IoU, centre distance and aspect ratio; the authors' optimal cfgs use it).</summary>
    CIoU,

    /// <summary>1 - IoU.</summary>
    IoU,
}
