namespace MLNet.CSP.Examples.Detection;

/// <summary>One image of a detection set: its file, a class name per object and x0, y0, x1, y1 per object (pixels).</summary>
public sealed class DetectionRow
{
    public string ImagePath { get; set; } = "";

    public string[] Label { get; set; } = [];

    public float[] BoundingBoxes { get; set; } = [];
}
