namespace MLNet.CSP.Detection;

/// <summary>An axis-aligned box in pixels: corners (x0, y0) top-left and (x1, y1) bottom-right, no +1 in its size.</summary>
/// <param name="X0">Left edge.</param>
/// <param name="Y0">Top edge.</param>
/// <param name="X1">Right edge (at least <paramref name="X0"/>).</param>
/// <param name="Y1">Bottom edge (at least <paramref name="Y0"/>).</param>
public readonly record struct BoundingBox(float X0, float Y0, float X1, float Y1)
{
    /// <summary>Width, <c>X1 - X0</c>.</summary>
    public float Width => X1 - X0;

    /// <summary>Height, <c>Y1 - Y0</c>.</summary>
    public float Height => Y1 - Y0;

    /// <summary>Area, width times height (in double precision, as COCO's evaluator computes it).</summary>
    public double Area => (double)Width * Height;

    /// <summary>Intersection over union with another box (0 when they do not overlap or both are empty).</summary>
    public double IntersectionOverUnion(BoundingBox other)
    {
        double w = Math.Min((double)X1, other.X1) - Math.Max((double)X0, other.X0);
        double h = Math.Min((double)Y1, other.Y1) - Math.Max((double)Y0, other.Y0);
        if (w <= 0 || h <= 0) return 0;
        double intersection = w * h;
        return intersection / (Area + other.Area - intersection);
    }
}
