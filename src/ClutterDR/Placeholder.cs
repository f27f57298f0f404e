namespace ClutterDR; internal static class Placeholder {}
