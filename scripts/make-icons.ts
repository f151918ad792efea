/** `npm run icons`: redraws every icon file in resources/ from resources/icon.svg (iconSet.ts). */
import { writeIcons } from './iconSet';

await writeIcons();
